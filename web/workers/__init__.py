"""Background work: runs services outside a request (today threads; a task queue is coming)."""
