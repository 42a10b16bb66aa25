"""Dashboard pages: each module registers itself with dash.register_page and defines layout(**query)."""
