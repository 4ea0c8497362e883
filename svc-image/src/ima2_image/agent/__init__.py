"""Agent Mode in svc-image: planning a message into tool calls and running queue items as jobs."""
