"""stagnation: find reps sliding into order-follower mode and dormant customers worth recycling."""
