"""The GitLab CI/CD credentials handler: writes each new key as CI/CD variables of a project or a
group through GitLab's REST API (GitLab.com or a self-managed instance), with an access token."""
