"""The live watch: follow growing logs, buffer their rows, judge them as they grow, announce alerts."""
