package io.objectbroker.naming.server;

import io.objectbroker.NamingException;
import io.objectbroker.naming.Registration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registrations in a file, through H2's MVStore (a pure-Java, log-structured key-value store),
 * and in memory for reads.
 *
 * <p>Each change is committed to the file before {@link #update} returns, so that a name
 * acknowledged to a client survives {@code kill -9} of the name server: MVStore appends a new
 * chunk and rewrites its header on commit, and a file cut short by a crash opens at the last
 * complete commit. (The file is written, not forced to the disk: an operating system crash or
 * a power cut may lose the last seconds of changes.) Leases are stored with their expiry, so
 * after a restart they live until they expire, or longer if their servers renew them.
 *
 * <p>One process at a time may open the file: MVStore locks it.
 */
public final class FileNameStore extends LocalNameStore {

  private static final Logger log = LoggerFactory.getLogger(FileNameStore.class);

  private final Path file;
  private final MVStore mv;
  private final MVMap<String, byte[]> names;

  private FileNameStore(Path file, MVStore mv, MVMap<String, byte[]> names) {
    this.file = file;
    this.mv = mv;
    this.names = names;
  }

  /**
   * Opens (or creates) the store in {@code file}.
   *
   * @throws NamingException if the file cannot be opened, e.g. another name server has it
   */
  public static FileNameStore open(Path file) {
    Path absolute = file.toAbsolutePath();
    Path dir = absolute.getParent();
    if (dir != null && !Files.isDirectory(dir)) {
      throw new NamingException("cannot open name store file " + absolute + ": directory "
          + dir + " does not exist");
    }
    MVStore mv;
    try {
      mv = new MVStore.Builder().fileName(absolute.toString()).autoCommitDisabled().open();
    } catch (RuntimeException e) {
      throw new NamingException("cannot open name store file " + absolute + ": "
          + e.getMessage(), e);
    }
    try {
      MVMap<String, byte[]> names = mv.openMap("names");
      FileNameStore store = new FileNameStore(absolute, mv, names);
      Map<String, List<Registration>> saved = new HashMap<>();
      for (Map.Entry<String, byte[]> e : names.entrySet()) {
        saved.put(e.getKey(), RegistrationCodec.decodeList(e.getKey(), e.getValue()));
      }
      store.load(saved);
      log.info("opened name store {} with {} names", absolute, saved.size());
      return store;
    } catch (RuntimeException e) {
      mv.closeImmediately();
      throw e instanceof NamingException n ? n : new NamingException(
          "cannot read name store file " + absolute + ": " + e.getMessage(), e);
    }
  }

  @Override
  void save(String name, List<Registration> regs) {
    try {
      if (regs.isEmpty()) {
        names.remove(name);
      } else {
        names.put(name, RegistrationCodec.encodeList(regs));
      }
      mv.commit();
    } catch (RuntimeException e) {
      mv.rollback();
      throw new NamingException("cannot save " + name + " to " + file + ": " + e.getMessage(),
          e);
    }
  }

  @Override
  public String describe() {
    return "file:" + file;
  }

  @Override
  public synchronized void close() {
    if (!mv.isClosed()) {
      mv.close();
    }
  }
}
