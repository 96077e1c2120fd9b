"""The part of a Kubernetes REST client both harnesses share: where the API server is, its CA,
the bearer token, and one keep-alive HTTPS connection per thread (each harness's own client,
scripts/chaos/kube.py and benchmarks/api.py, builds its requests, retries and errors on it)."""
import http.client
import ssl
import threading
import urllib.parse


class ApiBase:
    def __init__(self, server, ca, token):
        u = urllib.parse.urlparse(server)
        self.server, self.host, self.port = server, u.hostname, u.port
        self.ctx = ssl.create_default_context(cafile=ca)
        self.token = token
        self.local = threading.local()  # this thread's keep-alive connection

    def connect(self, timeout):
        """A new HTTPS connection to the API server."""
        return http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=timeout)

    def headers(self, content_type=None):
        """Bearer token, JSON answers; a Content-Type for a request with a body."""
        h = {"Authorization": "Bearer " + self.token, "Accept": "application/json"}
        if content_type is not None:
            h["Content-Type"] = content_type
        return h
