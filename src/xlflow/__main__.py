"""``python -m xlflow`` is the ``xlflow`` command (for a PC whose Scripts folder is not on
the PATH: ``py -m xlflow addin build -o xlflow.xlam``)."""

from xlflow.cli import main

if __name__ == "__main__":
    main(prog_name="xlflow")
