"""Access: who is acting (principal), what they may do (policy), the audit log; the HTTP side in context."""
