"""The web pages for buyers, sellers, agents and operators (Jinja2, a little htmx)."""
