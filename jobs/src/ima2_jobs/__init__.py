"""The runtime of job-running services (svc-image, svc-video)."""
