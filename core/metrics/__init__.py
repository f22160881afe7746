"""Digital-economy figures of communes: indicators, facts counted with SQL, monthly snapshots, targets."""
