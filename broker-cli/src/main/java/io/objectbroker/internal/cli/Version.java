package io.objectbroker.internal.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * What every command's {@code -V}/{@code --version} prints: its name, the version the build
 * wrote into {@code version.properties}, and the Java it runs on. A picocli version provider.
 */
public final class Version implements CommandLine.IVersionProvider {

  @CommandLine.Spec
  CommandSpec spec;

  /** The build's version: {@code 0.1.0-SNAPSHOT}. */
  public static String number() {
    try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
      if (in == null) {
        throw new IllegalStateException("version.properties is missing from broker-cli's jar");
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String[] getVersion() {
    return new String[] {spec.root().name() + " " + number() + " (ObjectBroker)",
        "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor")
            + "), " + System.getProperty("os.name") + " " + System.getProperty("os.arch")};
  }
}
