from coding.cli import run

run()
