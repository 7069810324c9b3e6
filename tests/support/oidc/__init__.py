"""A real OpenID provider on loopback for the SSO tests, and a browserless login helper."""
