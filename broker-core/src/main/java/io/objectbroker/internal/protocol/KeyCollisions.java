package io.objectbroker.internal.protocol;

import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Set;
import java.util.UUID;

/**
 * Refuses the keys of a hashed map or set that collide enough to make building it quadratic
 * (hash flooding).
 *
 * <p>A hash table finds a key among those of its hash code by comparing it with each of them:
 * n keys of one hash code cost n * n / 2 calls to {@code equals}. {@link java.util.HashMap}
 * (and so {@code HashSet}, {@code LinkedHashMap}, {@code ConcurrentHashMap}) orders such keys
 * in a tree, in O(log n), but only by {@code compareTo}, when they are all of one class {@code
 * C implements Comparable<C>}: lists, records and arrays as keys are searched one by one. A
 * payload of 478 KB whose 40,000 list keys share one hash code took 22.7 s to decode. The JDK's
 * immutable sets and maps ({@code Set.of}, {@code Map.of}) probe linearly and are not checked
 * here: the codec does not build large ones from a payload.
 *
 * <p>So a map or set of more than {@link #MAX_KEYS_PER_HASH} keys may have at most that many
 * keys with one hash code, unless those keys are all of one {@linkplain #ORDERED ordered JDK
 * type} and the table orders them. Natural data stays far below: a record of two small ints
 * hashes as {@code 31 * x + y}, and a 1000 x 1000 grid of them shares each hash code about 32
 * times. The check costs a hash code per key and a sort of the hash codes, O(n log n), and
 * bounds building the table to {@code n * MAX_KEYS_PER_HASH / 2} comparisons.
 */
final class KeyCollisions {

  /** Keys of one hash code accepted in one map or set, unless they are {@link #ORDERED}. */
  static final int MAX_KEYS_PER_HASH = 64;

  /**
   * Final JDK classes {@code C implements Comparable<C>} whose {@code compareTo} is consistent
   * with {@code equals}: a {@code HashMap} finds one of many such keys sharing a hash code in
   * O(log n). (Not BigDecimal: 2.0 and 2.00 compare equal but are not.)
   */
  private static final Set<Class<?>> ORDERED = Set.of(String.class, Integer.class, Long.class,
      Short.class, Byte.class, Character.class, Boolean.class, Float.class, Double.class,
      BigInteger.class, UUID.class, Instant.class, Duration.class);

  private KeyCollisions() {}

  /**
   * Throws if more than {@link #MAX_KEYS_PER_HASH} of {@code keys[0..n)} share a hash code,
   * except keys of one {@link #ORDERED} class when {@code ordersComparableKeys}.
   *
   * @param what the map or set, for the message: "HashMap"
   */
  static void check(Object[] keys, int n, boolean ordersComparableKeys, String what) {
    if (n <= MAX_KEYS_PER_HASH || ordersComparableKeys && isOrdered(keys, 0, n)) {
      return;
    }
    // Each key's hash code above its index: sorted, the keys of one hash code are a run.
    long[] byHash = new long[n];
    int m = 0;
    for (int i = 0; i < n; i++) {
      if (keys[i] != null) { // at most one null key, hashed apart
        byHash[m++] = (long) keys[i].hashCode() << 32 | i;
      }
    }
    Arrays.sort(byHash, 0, m);
    for (int start = 0, end; start < m; start = end) {
      int hash = (int) (byHash[start] >> 32);
      end = start + 1;
      while (end < m && (int) (byHash[end] >> 32) == hash) {
        end++;
      }
      if (end - start > MAX_KEYS_PER_HASH) {
        Object[] run = new Object[end - start];
        for (int i = start; i < end; i++) {
          run[i - start] = keys[(int) byHash[i]];
        }
        if (!ordersComparableKeys || !isOrdered(run, 0, run.length)) {
          throw RefusedPayloadException.limit(what + " of " + n + " entries is refused: "
              + run.length + " of its keys (" + run[0].getClass().getName()
              + ") share one hash code (" + hash + "), more than the " + MAX_KEYS_PER_HASH
              + " allowed; building it would take time quadratic in their number");
        }
      }
    }
  }

  // All of one ordered class, or of one enum (whose hash codes no peer chooses).
  private static boolean isOrdered(Object[] keys, int from, int to) {
    Class<?> type = null;
    for (int i = from; i < to; i++) {
      Object k = keys[i];
      if (k == null) {
        continue;
      }
      if (type == null) {
        type = k.getClass();
        if (!ORDERED.contains(type) && !(k instanceof Enum)) {
          return false;
        }
      } else if (k.getClass() != type) {
        return false;
      }
    }
    return true;
  }
}
