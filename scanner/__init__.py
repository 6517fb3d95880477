"""govscan engine: loaders, tiers, rules runner, waivers and the gate."""
