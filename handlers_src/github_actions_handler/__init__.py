"""The GitHub Actions credentials handler: writes each new key as GitHub Actions secrets of a
repository, a repository's environment or an organization, through GitHub's REST API (GitHub.com
or GitHub Enterprise Server), authenticated with a token or as a GitHub App."""
