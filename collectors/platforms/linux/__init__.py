"""Linux data sources."""
