"""HTTP plumbing, apart from the API: the middlewares (outermost first: host guard, CORS, journal,
credentials guard, faults, persistence on reply) and the method dispatcher. See docs/architecture.md."""
