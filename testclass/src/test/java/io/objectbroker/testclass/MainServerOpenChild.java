package io.objectbroker.testclass;

import io.objectbroker.provisioning.ProvisioningException;
import io.objectbroker.provisioning.server.MainServer;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A second process for {@link MainServerOpenTest}: opens a {@link MainServer} on a data folder
 * and says on stdout how that went.
 *
 * <p>Arguments: {@code try|hold DATA_DIR TGT_CONTROL_PORT}. A refused open prints
 * {@code refused: MESSAGE} and exits 1. A successful one prints {@code opened}; with
 * {@code try} it then closes and exits 0, with {@code hold} it keeps the server open until
 * stdin ends or has a line, so the parent can kill it while it holds the folder.
 */
public final class MainServerOpenChild {

  private MainServerOpenChild() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 3 || !(args[0].equals("try") || args[0].equals("hold"))) {
      System.err.println("usage: MainServerOpenChild try|hold DATA_DIR TGT_CONTROL_PORT");
      System.exit(2);
    }
    MainServer server;
    try {
      server = MainServer.open(Path.of(args[1]), Integer.parseInt(args[2]));
    } catch (ProvisioningException e) {
      System.out.println("refused: " + e.getMessage());
      System.out.flush();
      System.exit(1);
      return;
    }
    System.out.println("opened");
    System.out.flush();
    if (args[0].equals("hold")) {
      int c;
      do {
        c = System.in.read();
      } while (c != -1 && c != '\n');
    }
    server.close();
    System.exit(0);
  }
}
