"""The rehearsal of the paper preset (issue 12): tiny datasets in every real layout (``datasets``), the cost
of each unit of work at the paper's settings and of the full runs (``costs``), and every chapter run with
``--preset paper`` on them, then the book (``run``; ``repro rehearse``)."""
