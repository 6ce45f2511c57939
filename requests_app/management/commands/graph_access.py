"""Draw the life of one person's access (requests_app/agreement/life.py) in Graphviz's
language, as `graph_transitions` draws the request's and the MOU's state machines: `make
graph` writes docs/access.gv and docs/access.svg from it."""

import graphviz
from django.core.management.base import BaseCommand

from requests_app.agreement import life


class Command(BaseCommand):
    help = "Print the person's access states and moves as a Graphviz digraph."

    def handle(self, *args, **options):
        graph = graphviz.Digraph()
        for state, text in life.LABELS.items():
            # Where the life ends: a double border, as the state machines' final states.
            graph.node(
                state, label=text, shape="box", peripheries="2" if state in life.FINAL else "1"
            )
        # One arrow per pair of states, naming every action that moves between them.
        actions = {}
        for source, action, target in life.MOVES:
            actions.setdefault((source, target), []).append(action)
        for (source, target), names in actions.items():
            graph.edge(source, target, label=", ".join(names))
        self.stdout.write(graph.source)
