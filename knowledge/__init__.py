"""The agency's content (answers, clusters, advisors) and the code that searches and routes with it. Pure: imports
nothing of the project."""
