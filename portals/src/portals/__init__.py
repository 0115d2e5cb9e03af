"""The portals: the member, broker and employer portals as server-rendered pages that call the
gateway's API on the server side (backend-for-frontend): the browser holds a session cookie only."""
