"""HTTP plumbing, apart from the API: the middlewares (outermost first: persistence on reply, host guard,
CORS, journal, credentials guard, faults), the method dispatcher and its exception handlers, and the
limits of uvicorn's parser. See docs/architecture.md."""
