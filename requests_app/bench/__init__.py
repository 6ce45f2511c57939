"""The benchmark kept in the repository (docs/performance.md): a data set the size of years of
use, the pages measured against it under gunicorn beside bare pages served by the same process,
and the MOU's render beside a plain WeasyPrint document. Run by `make bench` and
`make bench-mou`, through `manage.py bench`; never part of the application's own pages."""
