"""The site collector (`patrol serve`): API, enrolment, ingest, watch, tickets per site."""
