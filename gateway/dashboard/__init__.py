"""The activity dashboard: static HTML/JS/CSS served by the gateway at /dashboard/, calling the REST API."""
