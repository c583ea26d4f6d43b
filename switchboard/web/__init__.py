"""The pages people open in a browser. They talk to the other pillars only over HTTP."""
