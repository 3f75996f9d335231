"""What agents and the site collector share: the API contract and machine identity."""
