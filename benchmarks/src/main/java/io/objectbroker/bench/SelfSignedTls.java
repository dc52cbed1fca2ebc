package io.objectbroker.bench;

import io.objectbroker.Tls;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A certificate for 127.0.0.1 made for one benchmark run with the openssl command (P-256, as
 * gRPC's and most sites' are), and the TLS settings of a server presenting it and of a client
 * trusting it.
 */
final class SelfSignedTls {

  private SelfSignedTls() {}

  /** {server, client}; the files are deleted when the JVM exits. */
  static Tls[] make() throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("bench-tls");
    Path cert = dir.resolve("cert.pem");
    Path key = dir.resolve("key.pem");
    Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
        "ec_paramgen_curve:P-256", "-nodes", "-keyout", key.toString(), "-out", cert.toString(),
        "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1")
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("openssl could not make a certificate: " + out);
    }
    for (Path f : new Path[] {dir, cert, key}) { // deleted in the reverse order
      f.toFile().deleteOnExit();
    }
    return new Tls[] {Tls.server(cert, key), Tls.client(cert)};
  }
}
