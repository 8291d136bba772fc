"""Many runs at once: a sweep judged run by run, two runs compared, reports saved earlier read back."""
