"""Sites: where firms and projects are visited, with versioned geometry."""
