"""What a team decides once per repository: the project config (`config`) and the CI gate (`policy`)."""
