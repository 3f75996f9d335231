"""The web console of the site collector (docs/console.md): accounts, sessions and pages."""
