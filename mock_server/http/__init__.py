"""HTTP plumbing, apart from the API: persistence on reply, the request pipeline (host guard, CORS,
journal, credentials guard and faults in one pass), the indexed router and method dispatcher with its
exception handlers, and the limits of uvicorn's parser. See docs/architecture.md."""
