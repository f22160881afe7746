"""Publishing to marketplaces: listings (one binding per product and marketplace), durable jobs, workers."""
