package io.objectbroker.naming.server;

import io.objectbroker.CommunicationException;
import io.objectbroker.NamingException;
import io.objectbroker.naming.Registration;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registrations in Apache ZooKeeper, through Apache Curator, shared by every name server that
 * uses the same ensemble and chroot. Reads are served from a {@link CuratorCache} of the
 * registry kept in memory; writes go to ZooKeeper.
 *
 * <pre>
 * /CHROOT/names/NAME             container node; its data version orders the writes of NAME
 * /CHROOT/names/NAME/URI         one registration, data: {@link RegistrationCodec} (one)
 *                                  PERSISTENT for a permanent name
 *                                  EPHEMERAL for a lease (of the writing name server's session)
 * </pre>
 *
 * NAME and URI are URL-encoded into node names. A write reads the name's node and children from
 * ZooKeeper, applies the change, and commits it in one multi-operation transaction that ends
 * with a conditional {@code setData} on the name's node: a concurrent write from another name
 * server fails the condition and the change is applied again to what that one wrote. The write
 * returns when this store's cache has seen it, so a name server reads its own writes.
 *
 * <p>A lease lives in an ephemeral node holding its wall-clock expiry: it vanishes when it
 * expires (every name server hides it; any of them purges it), and also when the name server
 * that created it loses its ZooKeeper session, e.g. because it died. Its object server's next
 * renewal, through any name server, creates it again. A renewal of a live lease rewrites its
 * node in place, so that no name server's cache ever goes without it.
 */
public final class ZooKeeperNameStore implements NameStore {

  private static final Logger log = LoggerFactory.getLogger(ZooKeeperNameStore.class);

  /** The chroot when the specification gives none. */
  public static final String DEFAULT_CHROOT = "/objectbroker";
  /** The ZooKeeper session timeout unless told otherwise. */
  public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofSeconds(15);
  /** How long opening waits for ZooKeeper and for the registry to load. */
  public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(15);
  /** How long a write waits for this store's cache to show it. */
  static final Duration CACHE_WAIT = Duration.ofSeconds(10);
  /** How often a write is tried again after losing a race with another writer. */
  static final int MAX_ATTEMPTS = 100;

  private static final String NAMES = "/names";

  private final String description;
  private final CuratorFramework client;
  private final CuratorCache cache;
  /** The registrations as the cache shows them. */
  private final RegistrationTable entries = new RegistrationTable();
  /** Name to the modification zxid of its node, as the cache shows it. */
  private final Map<String, Long> nameZxids = new ConcurrentHashMap<>();
  private final Object cacheMonitor = new Object();

  private ZooKeeperNameStore(String description, CuratorFramework client) {
    this.description = description;
    this.client = client;
    this.cache = CuratorCache.build(client, NAMES);
  }

  /**
   * Connects to ZooKeeper as {@code zookeeper:HOST:PORT[,HOST:PORT...][/chroot]} says (the
   * part after {@code zookeeper:}), and loads the registry.
   *
   * @throws CommunicationException if ZooKeeper cannot be reached in time
   * @throws NamingException if the registry cannot be loaded in time
   */
  public static ZooKeeperNameStore open(String spec) {
    return open(spec, DEFAULT_SESSION_TIMEOUT);
  }

  /** As {@link #open(String)}, with a ZooKeeper session timeout. */
  public static ZooKeeperNameStore open(String spec, Duration sessionTimeout) {
    Objects.requireNonNull(spec, "spec");
    int slash = spec.indexOf('/');
    String connect = slash < 0 ? spec : spec.substring(0, slash);
    String chroot = slash < 0 ? DEFAULT_CHROOT : spec.substring(slash);
    if (connect.isBlank() || chroot.length() < 2 || chroot.endsWith("/")
        || chroot.contains("//")) {
      throw new IllegalArgumentException("store: zookeeper:" + spec
          + " (expected: zookeeper:HOST:PORT[,HOST:PORT...][/chroot])");
    }
    String description = "zookeeper:" + connect + chroot;
    CuratorFramework client = CuratorFrameworkFactory.builder()
        .connectString(connect)
        .namespace(chroot.substring(1))
        .sessionTimeoutMs((int) sessionTimeout.toMillis())
        .connectionTimeoutMs((int) Math.min(sessionTimeout.toMillis(), 10_000))
        .retryPolicy(new ExponentialBackoffRetry(100, 5, 2_000))
        .build();
    client.start();
    ZooKeeperNameStore store = new ZooKeeperNameStore(description, client);
    try {
      if (!client.blockUntilConnected((int) CONNECT_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        throw new CommunicationException("cannot reach ZooKeeper at " + connect + " within "
            + CONNECT_TIMEOUT.toSeconds() + " s");
      }
      store.startCache();
      return store;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      store.close();
      throw new NamingException("interrupted while connecting to ZooKeeper at " + connect, e);
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
  }

  private void startCache() throws InterruptedException {
    try {
      client.create().creatingParentContainersIfNeeded().forPath(NAMES);
    } catch (KeeperException.NodeExistsException e) {
      // created by this or another name server before
    } catch (Exception e) {
      throw failure("cannot create " + NAMES, e);
    }
    CountDownLatch loaded = new CountDownLatch(1);
    cache.listenable().addListener(new CuratorCacheListener() {
      @Override
      public void event(Type type, ChildData oldData, ChildData data) {
        try {
          apply(type, oldData, data);
        } catch (RuntimeException e) {
          log.warn("ignored a registry node that cannot be read: {}", e.getMessage());
        }
        synchronized (cacheMonitor) {
          cacheMonitor.notifyAll();
        }
      }

      @Override
      public void initialized() {
        loaded.countDown();
      }
    });
    cache.start();
    if (!loaded.await(CONNECT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new NamingException("cannot load the registry from " + description + " within "
          + CONNECT_TIMEOUT.toSeconds() + " s");
    }
    log.info("opened name store {} with {} names", description, entries.size());
  }

  /** Keeps {@link #entries} in step with the cache; runs on Curator's one event thread. */
  private void apply(CuratorCacheListener.Type type, ChildData oldData, ChildData data) {
    ChildData node = data != null ? data : oldData;
    if (!node.getPath().startsWith(NAMES + "/")) {
      return;
    }
    String[] parts = node.getPath().substring(NAMES.length() + 1).split("/", -1);
    String name = decode(parts[0]);
    boolean deleted = type == CuratorCacheListener.Type.NODE_DELETED;
    if (parts.length == 1) {
      if (deleted) {
        nameZxids.remove(name);
        entries.set(name, List.of());
      } else {
        nameZxids.put(name, data.getStat().getMzxid());
      }
      return;
    }
    String uri = decode(parts[1]);
    List<Registration> next = new ArrayList<>(entries.get(name));
    next.removeIf(r -> r.uri().equals(uri));
    if (!deleted) {
      Registration r = RegistrationCodec.decodeOne(name, data.getData());
      next.add(new Registration(name, uri, r.metadata(), r.expiresAtMillis()));
    }
    entries.set(name, next);
  }

  @Override
  public List<Registration> get(String name) {
    return entries.get(name);
  }

  @Override
  public List<Registration> list(Predicate<String> nameFilter) {
    return entries.list(nameFilter);
  }

  @Override
  public int registrationCount() {
    return entries.registrationCount();
  }

  @Override
  public List<Registration> update(String name, UnaryOperator<List<Registration>> change) {
    String namePath = NAMES + "/" + encode(name);
    for (int attempt = 1; ; attempt++) {
      try {
        Stat stat = client.checkExists().forPath(namePath);
        if (stat == null) {
          createNameNode(namePath);
          continue;
        }
        Map<String, Registration> before = readChildren(name, namePath);
        List<Registration> beforeList = LocalNameStore.sorted(new ArrayList<>(before.values()));
        List<Registration> after =
            LocalNameStore.sorted(LocalNameStore.checked(name, change.apply(beforeList)));
        if (after.equals(beforeList)) {
          return beforeList;
        }
        List<CuratorOp> ops = new ArrayList<>();
        Map<String, Registration> afterByUri = new HashMap<>();
        after.forEach(r -> afterByUri.put(r.uri(), r));
        // A registration that stays (a lease renewed, metadata changed) is rewritten in place:
        // deleted and created again, it would be missing from the other name servers' caches
        // between the two events, and a lookup there would fail (seen under load). Its node
        // keeps the session that created it; if that name server dies, the next renewal
        // creates it again, as for any lease of that session.
        for (Registration old : before.values()) {
          Registration next = afterByUri.get(old.uri());
          if (next == null || next.isLease() != old.isLease()) {
            ops.add(client.transactionOp().delete().forPath(childPath(namePath, old.uri())));
          }
        }
        for (Registration r : after) {
          Registration old = before.get(r.uri());
          if (r.equals(old)) {
            continue;
          }
          if (old != null && old.isLease() == r.isLease()) {
            ops.add(client.transactionOp().setData()
                .forPath(childPath(namePath, r.uri()), RegistrationCodec.encodeOne(r)));
          } else {
            ops.add(client.transactionOp().create()
                .withMode(r.isLease() ? CreateMode.EPHEMERAL : CreateMode.PERSISTENT)
                .forPath(childPath(namePath, r.uri()), RegistrationCodec.encodeOne(r)));
          }
        }
        // Last, so that the cache has seen the children's changes when it sees this one.
        ops.add(client.transactionOp().setData().withVersion(stat.getVersion())
            .forPath(namePath, new byte[0]));
        List<CuratorTransactionResult> results = client.transaction().forOperations(ops);
        awaitCache(name, results.get(results.size() - 1).getResultStat().getMzxid(), after);
        return beforeList;
      } catch (KeeperException.BadVersionException | KeeperException.NoNodeException
          | KeeperException.NodeExistsException e) {
        // Another writer got there first, or a lease's ephemeral node vanished: again.
        if (attempt >= MAX_ATTEMPTS) {
          throw new NamingException("cannot write " + name + " to " + description + ": "
              + attempt + " attempts lost races with other writers", e);
        }
      } catch (NamingException | IllegalArgumentException e) {
        throw e;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new NamingException("interrupted while writing " + name + " to " + description, e);
      } catch (Exception e) {
        throw failure("cannot write " + name, e);
      }
    }
  }

  private void createNameNode(String namePath) throws Exception {
    try {
      client.create().creatingParentContainersIfNeeded().withMode(CreateMode.CONTAINER)
          .forPath(namePath, new byte[0]);
    } catch (KeeperException.NodeExistsException e) {
      // another writer created it: fine
    }
  }

  private Map<String, Registration> readChildren(String name, String namePath)
      throws Exception {
    Map<String, Registration> regs = new HashMap<>();
    for (String child : client.getChildren().forPath(namePath)) {
      String uri = decode(child);
      try {
        Registration r = RegistrationCodec.decodeOne(name,
            client.getData().forPath(namePath + "/" + child));
        regs.put(uri, new Registration(name, uri, r.metadata(), r.expiresAtMillis()));
      } catch (KeeperException.NoNodeException e) {
        // a lease whose session ended since the listing
      }
    }
    return regs;
  }

  /**
   * Waits until this store's cache shows the write of {@code name} at {@code zxid}, whose
   * registrations are {@code written}, or a later write of it. The name node's zxid alone is
   * not enough: for a name the cache has just seen created, it fetches the new children after
   * it has seen the name node change, so a read right after the write would miss them.
   */
  private void awaitCache(String name, long zxid, List<Registration> written)
      throws InterruptedException {
    long deadline = System.nanoTime() + CACHE_WAIT.toNanos();
    synchronized (cacheMonitor) {
      while (nameZxids.getOrDefault(name, -1L) < zxid
          || nameZxids.getOrDefault(name, -1L) == zxid
              && !sameRegistrations(entries.get(name), written)) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          log.warn("the cache of {} did not show the write of {} within {} s; reads may lag",
              description, name, CACHE_WAIT.toSeconds());
          return;
        }
        TimeUnit.NANOSECONDS.timedWait(cacheMonitor, left);
      }
    }
  }

  // The same URIs with the same metadata and expiry (the cache's entries carry no owner).
  private static boolean sameRegistrations(List<Registration> seen, List<Registration> written) {
    if (seen.size() != written.size()) {
      return false;
    }
    Map<String, Registration> byUri = new HashMap<>();
    seen.forEach(r -> byUri.put(r.uri(), r));
    for (Registration w : written) {
      Registration r = byUri.get(w.uri());
      if (r == null || !r.metadata().equals(w.metadata())
          || r.expiresAtMillis() != w.expiresAtMillis()) {
        return false;
      }
    }
    return true;
  }

  private NamingException failure(String what, Exception e) {
    String reason = e instanceof KeeperException k ? k.code().name().toLowerCase() + " "
        + (k.getPath() == null ? "" : k.getPath()) : e.getMessage();
    return new NamingException(what + " in " + description + ": " + reason.strip(), e);
  }

  private static String childPath(String namePath, String uri) {
    return namePath + "/" + encode(uri);
  }

  /** A name or URI as a node name: URL-encoded, and never "." or "..". */
  static String encode(String s) {
    String e = URLEncoder.encode(s, StandardCharsets.UTF_8);
    return e.replace(".", "%2E").replace("*", "%2A");
  }

  static String decode(String node) {
    return URLDecoder.decode(node, StandardCharsets.UTF_8);
  }

  /** The Curator client, for tests that need to know which ZooKeeper server it talks to. */
  CuratorFramework client() {
    return client;
  }

  @Override
  public String describe() {
    return description;
  }

  @Override
  public void close() {
    cache.close();
    client.close();
  }
}
