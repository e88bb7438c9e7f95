"""The web workspace's pieces beside its routes (`service/routes/pages*.py`): sign-in
sessions, the Jinja2 templates and the one stylesheet and script the pages load."""
