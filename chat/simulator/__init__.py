"""The embedded upstream: an OpenAI-compatible chat-completions server that makes up
its answers, so the playground works (and every failure can be shown) without an API key.

A plain ASGI application, no Django: the project's asgi.py mounts it under /sim, and
`python -m chat.simulator --port 9000 [--tps 40] [--first-token-delay 0.3] [--record]`
serves it alone with Daphne for load tests.

How a request becomes an answer, one module per step:

    markers     the [[sim:...]] syntax, and text without it for what people see
    options     what markers ([[sim:...]]) and X-Sim-* headers ask for: faults, pacing, lengths
    prompt      what the messages say: topic, place, images, tool to call, tool result
    text        the deterministic writer: reasoning and answer text from seeded templates
    arguments   made-up tool-call arguments for a function's JSON schema
    completion  the whole completion for a request, cut to max_tokens and stop
    wire        the completion as SSE chunks or a JSON body; the API's error bodies
    asgi        ASGI plumbing: reading the body, sending JSON, noticing a client leave
    delivery    sending at the app's pace, with faults injected mid-stream
    access      who may use the simulator mounted in the app (the app, loopback)
    app         the ASGI app and its routes (`make_app`)
    __main__    the standalone server
"""
