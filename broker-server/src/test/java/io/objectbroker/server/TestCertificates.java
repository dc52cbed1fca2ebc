package io.objectbroker.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Certificates made with the openssl command for TLS tests: a CA, a server certificate for
 * 127.0.0.1 and localhost signed by it, a client certificate signed by it, and a second CA
 * that signs nothing here.
 */
final class TestCertificates {

  final Path ca;
  final Path serverCert;
  final Path serverKey;
  final Path clientCert;
  final Path clientKey;
  final Path otherCa;

  private TestCertificates(Path dir) {
    ca = dir.resolve("ca.crt");
    serverCert = dir.resolve("server.crt");
    serverKey = dir.resolve("server.key");
    clientCert = dir.resolve("client.crt");
    clientKey = dir.resolve("client.key");
    otherCa = dir.resolve("other-ca.crt");
  }

  /** Makes them in {@code dir}. */
  static TestCertificates make(Path dir) throws IOException, InterruptedException {
    TestCertificates c = new TestCertificates(dir);
    Files.writeString(dir.resolve("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n", StandardCharsets.US_ASCII);
    openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=test CA");
    openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-keyout", "other-ca.key", "-out", "other-ca.crt", "-days", "2", "-subj",
        "/CN=other CA");
    for (String who : new String[] {"server", "client"}) {
      openssl(dir, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
          "-keyout", who + ".key", "-out", who + ".csr", "-subj",
          who.equals("server") ? "/CN=127.0.0.1" : "/CN=alice");
      List<String> sign = new ArrayList<>(List.of("x509", "-req", "-in", who + ".csr", "-CA",
          "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", who + ".crt", "-days", "2"));
      if (who.equals("server")) {
        sign.addAll(List.of("-extfile", "server.ext"));
      }
      openssl(dir, sign.toArray(String[]::new));
    }
    return c;
  }

  private static void openssl(Path dir, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add("openssl");
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
        .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("openssl " + String.join(" ", args) + " failed: " + out);
    }
  }
}
