"""A local webhook for the tests: answers every request with the status it is given and the
body `received`, and prints each request as a JSON line (method, path, headers, body).

    hook_server.py STATUS [CERT_DIR]

With CERT_DIR it serves HTTPS with a certificate for 127.0.0.1 and localhost, made now and signed
by a CA of its own, whose certificate it writes to CERT_DIR/cert.pem. Its first line is
`PORT <port>`.
"""

import datetime
import http.server
import ipaddress
import json
import ssl
import sys


def certificates(folder):
    """A CA of its own (written to FOLDER/cert.pem, the bundle to trust) and a server
    certificate for 127.0.0.1 and localhost that it signed."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def build(subject, issuer, public_key, signing_key, ca):
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                critical=False,
            )
        return builder.sign(signing_key, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = build("runbook test CA", "runbook test CA", ca_key.public_key(), ca_key, True)
    key = ec.generate_private_key(ec.SECP256R1())
    server = build("runbook test webhook", "runbook test CA", key.public_key(), ca_key, False)
    pem = serialization.Encoding.PEM
    with open(f"{folder}/cert.pem", "wb") as out:
        out.write(ca.public_bytes(pem))
    chain_path, key_path = f"{folder}/server.pem", f"{folder}/server-key.pem"
    with open(chain_path, "wb") as out:
        out.write(server.public_bytes(pem))
    with open(key_path, "wb") as out:
        out.write(
            key.private_bytes(
                pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    return chain_path, key_path


def main():
    status = int(sys.argv[1])

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8", "replace")
            print(
                json.dumps(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body,
                    }
                ),
                flush=True,
            )
            answer = b"received"
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    if len(sys.argv) > 2:
        cert, key = certificates(sys.argv[2])
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(f"PORT {server.server_address[1]}", flush=True)
    # Ends with the test process: its standard input closes then.
    import threading

    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()


main()
