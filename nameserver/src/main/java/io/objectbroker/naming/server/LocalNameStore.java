package io.objectbroker.naming.server;

import io.objectbroker.naming.Registration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * A store whose registrations live in this process's memory, with writes serialized by one
 * lock; a subclass may save each change somewhere before it becomes visible ({@link #save}).
 */
abstract class LocalNameStore implements NameStore {

  static final Comparator<Registration> BY_URI = Comparator.comparing(Registration::uri);

  private final RegistrationTable entries = new RegistrationTable();

  /** Fills the store, before it is used, with what was saved earlier. */
  final void load(Map<String, List<Registration>> saved) {
    saved.forEach((name, regs) -> {
      entries.set(name, regs);
    });
  }

  /**
   * Saves the registrations of {@code name} ({@code regs} empty: its removal) before they
   * become visible; a failure leaves the store unchanged.
   */
  abstract void save(String name, List<Registration> regs);

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
  public final synchronized List<Registration> update(String name,
      UnaryOperator<List<Registration>> change) {
    List<Registration> before = get(name);
    List<Registration> after = sorted(checked(name, change.apply(before)));
    if (after.equals(before)) {
      return before;
    }
    save(name, after);
    entries.set(name, after);
    return before;
  }

  static List<Registration> checked(String name, List<Registration> regs) {
    if (regs.stream().anyMatch(r -> !r.name().equals(name))
        || regs.stream().map(Registration::uri).distinct().count() != regs.size()) {
      throw new IllegalArgumentException("registrations of " + name
          + " must carry that name and distinct URIs: " + regs);
    }
    return regs;
  }

  static List<Registration> sorted(List<Registration> regs) {
    List<Registration> copy = new ArrayList<>(regs);
    copy.sort(BY_URI);
    return List.copyOf(copy);
  }
}
