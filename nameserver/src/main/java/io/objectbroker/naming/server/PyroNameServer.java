package io.objectbroker.naming.server;

import io.objectbroker.Address;
import io.objectbroker.NamingException;
import io.objectbroker.Uri;
import io.objectbroker.internal.pyro.PyroMessage;
import io.objectbroker.internal.pyro.PyroUri;
import io.objectbroker.internal.pyro.PythonArgs;
import io.objectbroker.internal.pyro.PythonException;
import io.objectbroker.internal.pyro.PythonObject;
import io.objectbroker.internal.pyro.PythonTuple;
import io.objectbroker.naming.Registration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The name server as Pyro's clients and its {@code nsc} see it: the object {@code
 * Pyro.NameServer}, answering as Pyro4's name server does a Pyro4 client and as Pyro5's does a
 * Pyro5 one (the methods, their arguments, results and errors), over {@link NameServerService}
 * and so over its store, leases, owners and limits.
 *
 * <p>Names registered by ObjectBroker's servers show with their Pyro URIs ({@code
 * OB:example.provisioning@host:port} as {@code PYRO:example.provisioning@host:port}: the same
 * port speaks Pyro); names registered by Pyro servers keep theirs. The name server itself is
 * listed under {@code Pyro.NameServer} as Pyro's is, and cannot be removed. Patterns are matched
 * from the start of the name, as Python's {@code re.match} does, in RE2's syntax.
 */
final class PyroNameServer implements PythonObject {

  static final String NAME = "Pyro.NameServer";

  private static final Set<String> PYRO4_METHODS =
      Set.of("count", "list", "lookup", "ping", "register", "remove", "set_metadata");
  private static final Set<String> PYRO5_METHODS = Set.of("count", "list", "lookup", "ping",
      "register", "remove", "set_metadata", "yplookup");
  private static final Set<String> READS = Set.of("count", "list", "lookup", "ping", "yplookup");

  private final NameServerService service;
  private final Supplier<Address> address;

  PyroNameServer(NameServerService service, Supplier<Address> address) {
    this.service = service;
    this.address = address;
  }

  @Override
  public Set<String> methods(int version) {
    return version == PyroMessage.PYRO4 ? PYRO4_METHODS : PYRO5_METHODS;
  }

  @Override
  public boolean isReadOnly(String method) {
    return READS.contains(method);
  }

  @Override
  public Object call(String method, List<?> vargs, Map<?, ?> kwargs, int version) {
    return switch (method) {
      case "ping" -> {
        PythonArgs.bind(method, vargs, kwargs, 0);
        yield null;
      }
      case "count" -> {
        PythonArgs.bind(method, vargs, kwargs, 0);
        yield service.count() + (stored(NAME) ? 0 : 1);
      }
      case "lookup" -> lookup(PythonArgs.bind(method, vargs, kwargs, 1, "name",
          "return_metadata"), version);
      case "register" -> register(PythonArgs.bind(method, vargs, kwargs, 2, "name", "uri",
          "safe", "metadata"));
      case "remove" -> remove(PythonArgs.bind(method, vargs, kwargs, 0, "name", "prefix",
          "regex"));
      case "set_metadata" -> setMetadata(PythonArgs.bind(method, vargs, kwargs, 2, "name",
          "metadata"));
      case "list" -> version == PyroMessage.PYRO4
          ? list(PythonArgs.bind(method, vargs, kwargs, 0, "prefix", "regex", "metadata_all",
              "metadata_any", "return_metadata"), version)
          : list(PythonArgs.bind(method, vargs, kwargs, 0, "prefix", "regex",
              "return_metadata"), version);
      case "yplookup" -> yplookup(PythonArgs.bind(method, vargs, kwargs, 0, "meta_all",
          "meta_any", "return_metadata"), vargs.size() < 3 && !kwargs.containsKey(
              "return_metadata"), version);
      default -> throw PythonException.builtin("AttributeError",
          "'NameServer' object has no attribute '" + method + "'");
    };
  }

  // ------------------------------------------------------------------ reads

  private Object lookup(PythonArgs a, int version) {
    String name = name(a.get("name"));
    Registration r = registration(name, version);
    if (r == null) {
      throw PythonException.pyro("NamingError", "unknown name: " + name);
    }
    Object uri = uriObject(r.uri());
    return a.truthy("return_metadata") ? PythonTuple.of(uri, metadata(r, version)) : uri;
  }

  private Object list(PythonArgs a, int version) {
    Object prefix = a.get("prefix");
    Object regex = a.get("regex");
    Object all = a.get("metadata_all");
    Object any = a.get("metadata_any");
    if (version == PyroMessage.PYRO4) {
      int filters = (prefix != null ? 1 : 0) + (regex != null ? 1 : 0) + (all != null ? 1 : 0)
          + (any != null ? 1 : 0);
      if (filters > 1) {
        throw PythonException.value("you can only filter on one thing at a time");
      }
    } else if (PythonArgs.truthy(prefix) && PythonArgs.truthy(regex)) {
      throw PythonException.value("you can only filter on one thing at a time");
    }
    List<Registration> found;
    Predicate<String> self;
    if (PythonArgs.truthy(prefix)) {
      String p = string(prefix, "prefix");
      found = service.list(p);
      self = n -> n.startsWith(p);
    } else if (PythonArgs.truthy(regex)) {
      String anchored = anchored(string(regex, "regex"));
      found = matching(anchored);
      Predicate<String> m = NamePattern.compile(anchored);
      self = m;
    } else if (PythonArgs.truthy(all)) {
      Set<String> tags = tags(all, "metadata_all");
      found = service.lookupByMetadata(tags, Set.of());
      self = n -> selfMetadata(version).containsAll(tags);
    } else if (PythonArgs.truthy(any)) {
      Set<String> tags = tags(any, "metadata_any");
      found = service.lookupByMetadata(Set.of(), tags);
      self = n -> tags.stream().anyMatch(selfMetadata(version)::contains);
    } else {
      found = service.list("");
      self = n -> true;
    }
    return listing(found, self, a.truthy("return_metadata"), version);
  }

  private Object yplookup(PythonArgs a, boolean defaultMetadata, int version) {
    Object all = a.get("meta_all");
    Object any = a.get("meta_any");
    if (PythonArgs.truthy(all) && PythonArgs.truthy(any)) {
      throw PythonException.value("you can't use meta_all or meta_any at the same time");
    }
    boolean withMetadata = defaultMetadata || a.truthy("return_metadata");
    if (PythonArgs.truthy(all)) {
      Set<String> tags = tags(all, "metadata_all");
      return listing(service.lookupByMetadata(tags, Set.of()),
          n -> selfMetadata(version).containsAll(tags), withMetadata, version);
    }
    if (PythonArgs.truthy(any)) {
      Set<String> tags = tags(any, "metadata_any");
      return listing(service.lookupByMetadata(Set.of(), tags),
          n -> tags.stream().anyMatch(selfMetadata(version)::contains), withMetadata, version);
    }
    return Map.of();
  }

  // name -> uri, or name -> (uri, metadata); with the name server's own entry if it matches.
  private Map<String, Object> listing(List<Registration> found, Predicate<String> self,
      boolean withMetadata, int version) {
    Map<String, Registration> byName = new TreeMap<>();
    // the built-in entry, unless one was registered in its place (found, if it matches)
    if (!stored(NAME) && self.test(NAME)) {
      byName.put(NAME, selfRegistration(version));
    }
    for (Registration r : found) {
      byName.put(r.name(), r);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    byName.forEach((name, r) -> out.put(name, withMetadata
        ? PythonTuple.of(uriText(r.uri()), metadata(r, version)) : uriText(r.uri())));
    return out;
  }

  // ------------------------------------------------------------------ writes

  private Object register(PythonArgs a) {
    String uri = registrable(a.get("uri"));
    String name = name(a.get("name"));
    Object metadata = a.get("metadata");
    if (metadata instanceof String) {
      throw PythonException.type("metadata should not be a str, but another iterable (set,"
          + " list, etc)");
    }
    Set<String> tags = PythonArgs.truthy(metadata) ? tags(metadata, "metadata") : Set.of();
    // The name server's own name is always taken, as in Pyro's storage.
    if (a.truthy("safe") && (name.equals(NAME) || stored(name))) {
      throw PythonException.pyro("NamingError", "name already registered: " + name);
    }
    try {
      service.register(name, uri, tags, !a.truthy("safe"));
    } catch (NamingException e) {
      if (a.truthy("safe") && stored(name)) { // registered meanwhile
        throw PythonException.pyro("NamingError", "name already registered: " + name);
      }
      throw e;
    }
    return null;
  }

  private Object remove(PythonArgs a) {
    Object name = a.get("name");
    if (PythonArgs.truthy(name) && name instanceof String n && !n.equals(NAME) && stored(n)) {
      return service.remove(n) ? 1 : 0;
    }
    if (a.truthy("prefix")) {
      String p = string(a.get("prefix"), "prefix");
      return NAME.startsWith(p) && stored(NAME) ? removeEach(service.list(p))
          : service.removePrefix(p);
    }
    if (a.truthy("regex")) {
      String anchored = anchored(string(a.get("regex"), "regex"));
      return stored(NAME) && NamePattern.compile(anchored).test(NAME)
          ? removeEach(matching(anchored)) : removeMatching(anchored);
    }
    return 0;
  }

  // Removes each of found but an entry stored under the name server's name, which Pyro's
  // remove never takes away.
  private int removeEach(List<Registration> found) {
    int removed = 0;
    for (Registration r : found) {
      if (!r.name().equals(NAME) && service.remove(r.name())) {
        removed++;
      }
    }
    return removed;
  }

  private int removeMatching(String anchored) {
    try {
      return service.removeMatching(anchored);
    } catch (NamingException e) {
      throw PythonException.pyro("NamingError", "invalid regex: " + e.getMessage());
    }
  }

  private Object setMetadata(PythonArgs a) {
    String name = name(a.get("name"));
    Object metadata = a.get("metadata");
    if (metadata instanceof String) {
      throw PythonException.type("metadata should not be a str, but another iterable (set,"
          + " list, etc)");
    }
    Set<String> tags = PythonArgs.truthy(metadata) ? tags(metadata, "metadata") : Set.of();
    if (!stored(name)) {
      if (name.equals(NAME)) {
        throw PythonException.pyro("NamingError", "the metadata of " + NAME
            + " is the name server's own");
      }
      throw PythonException.pyro("NamingError", "unknown name: " + name);
    }
    service.setMetadata(name, tags);
    return null;
  }

  // ------------------------------------------------------------------ helpers

  private boolean stored(String name) {
    try {
      service.lookupRegistration(name);
      return true;
    } catch (NamingException e) {
      return false;
    }
  }

  private Registration registration(String name, int version) {
    try {
      return service.lookupRegistration(name);
    } catch (NamingException e) {
      return name.equals(NAME) ? selfRegistration(version) : null;
    }
  }

  private Registration selfRegistration(int version) {
    return new Registration(NAME, new PyroUri(PyroUri.PYRO, NAME, address.get()).toString(),
        selfMetadata(version));
  }

  private static Set<String> selfMetadata(int version) {
    return Set.of(version == PyroMessage.PYRO4 ? "class:Pyro4.naming.NameServer"
        : "class:Pyro5.nameserver.NameServer");
  }

  private List<Registration> matching(String anchored) {
    try {
      return service.listMatching(anchored);
    } catch (NamingException e) {
      throw PythonException.pyro("NamingError", "invalid regex: " + e.getMessage());
    }
  }

  // Python's re.match: anchored at the start only; RE2 matches the whole name.
  private static String anchored(String regex) {
    return "(?:" + regex + ").*";
  }

  /** Pyro4 sends metadata as a list, Pyro5 as a set; sorted either way. */
  private static Collection<String> metadata(Registration r, int version) {
    TreeSet<String> sorted = new TreeSet<>(r.metadata());
    return version == PyroMessage.PYRO4 ? new ArrayList<>(sorted) : sorted;
  }

  /** A stored URI as Pyro clients get it in a list: ObjectBroker's as the Pyro one. */
  static String uriText(String stored) {
    try {
      return PyroUri.of(Uri.parse(stored)).toString();
    } catch (IllegalArgumentException e) {
      return stored; // a Pyro URI already
    }
  }

  // ... and as lookup returns it: Pyro's URI object.
  private static Object uriObject(String stored) {
    String text = uriText(stored);
    try {
      return PyroUri.parse(text, io.objectbroker.naming.NameServer.DEFAULT_PORT);
    } catch (IllegalArgumentException e) {
      return text;
    }
  }

  // What register takes: a URI object (Pyro's class as a dict, its state a tuple, or a list
  // over json) or a string Pyro would parse.
  private static String registrable(Object uri) {
    Object state = uri instanceof Map<?, ?> m ? m.get("state") : null;
    if (state instanceof List<?> l) {
      state = l.toArray();
    }
    if (uri instanceof Map<?, ?> m && String.valueOf(m.get("__class__")).endsWith(".core.URI")
        && state instanceof Object[] s && s.length == 5) {
      String location = s[3] != null ? (String.valueOf(s[3]).indexOf(':') >= 0
          ? "[" + s[3] + "]" : String.valueOf(s[3])) + ":" + s[4]
          : s[2] != null ? "./u:" + s[2] : null;
      uri = s[0] + ":" + s[1] + (location == null ? "" : "@" + location);
    } else if (!(uri instanceof String)) {
      throw PythonException.type("only URIs or strings can be registered");
    }
    String text = (String) uri;
    try {
      Uri.parse(text);
      return text;
    } catch (IllegalArgumentException e) {
      // not ObjectBroker's; Pyro's then
    }
    try {
      return PyroUri.parse(text, io.objectbroker.naming.NameServer.DEFAULT_PORT).toString();
    } catch (IllegalArgumentException e) {
      throw PythonException.pyro("PyroError", "invalid uri");
    }
  }

  private static String name(Object name) {
    if (!(name instanceof String s)) {
      throw PythonException.type("name must be a str");
    }
    return s;
  }

  private static String string(Object v, String what) {
    if (!(v instanceof String s)) {
      throw PythonException.type(what + " must be a str");
    }
    return s;
  }

  private static Set<String> tags(Object v, String what) {
    if (v instanceof String) {
      throw PythonException.type(what + " should not be a str, but another iterable (set,"
          + " list, etc)");
    }
    Collection<?> items = v instanceof Collection<?> c ? c
        : v instanceof Object[] t ? java.util.Arrays.asList(t) : null;
    if (items == null) {
      throw PythonException.type("'" + io.objectbroker.internal.pyro.PythonValues.typeName(v)
          + "' object is not iterable");
    }
    Set<String> tags = new TreeSet<>();
    for (Object o : items) {
      tags.add(String.valueOf(o));
    }
    return tags;
  }
}
