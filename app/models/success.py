"""Topics mined from tickets, ticket vectors, spike alerts and product feedback."""
