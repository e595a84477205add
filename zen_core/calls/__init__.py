"""One tool call: the tool contract, the per-call context, the middleware chain and the dispatcher."""
