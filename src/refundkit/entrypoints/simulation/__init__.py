"""``refundkit simulate``: a seeded synthetic marketplace driven through the service layer on
the sandbox clock, and its report (Markdown and SVG charts)."""
