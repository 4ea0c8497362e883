"""OAuth credentials of the Codex (ChatGPT) and Grok (xAI) accounts: files, device-code clients, refresh."""
