// Regenerate: javac -cp jackson-core.jar JavaTextGolden.java && java -cp jackson-core.jar:. JavaTextGolden > java_text_golden.txt
// (java_text_golden.txt was printed by OpenJDK 17.0.15 with jackson-core 2.21.2.)
import java.math.*;
import java.util.*;
import java.nio.charset.StandardCharsets;
import com.fasterxml.jackson.core.*;

// Golden values for connect_api::java, printed by the JDK this runs on and by Jackson.
public class JavaTextGolden {
  static StringBuilder out = new StringBuilder();
  static void d(double v) { out.append("D ").append(Long.toHexString(Double.doubleToRawLongBits(v))).append(' ').append(Double.toString(v)).append('\n'); }
  static void f(float v) { out.append("F ").append(Integer.toHexString(Float.floatToRawIntBits(v))).append(' ').append(Float.toString(v)).append('\n'); }
  static String hex(byte[] b) { StringBuilder s = new StringBuilder(); for (byte x : b) s.append(String.format("%02x", x)); return s.toString(); }
  public static void main(String[] a) throws Exception {
    Random rnd = new Random(20261206L);
    double[] fixed = {1.0, -1.5, 0.001, 0.0001, 1e7, 9999999.0, 1e10, 123456.789, 1.2345e-5, 0.1 + 0.2, Double.MAX_VALUE, Double.MIN_VALUE, Double.MIN_NORMAL, 100.0, 1e23, 2e23, 1e22, 1e-3, 9.999999e-4, 4.9e-324, 1e21, 1e20, 1.0E16, 12345678901234567.0, 9007199254740993.0, 0.5, 2.0/3, 1e308, 5e-324, 123.456, -0.0, 0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
    for (double v : fixed) d(v);
    for (int e = -330; e <= 310; e++) { d(Math.pow(10, e)); d(Math.pow(2, e / 1.0)); }
    for (int i = 0; i < 1500; i++) d(Double.longBitsToDouble(rnd.nextLong()));
    for (int i = 0; i < 1500; i++) d((rnd.nextInt() / Math.pow(10, rnd.nextInt(12))));
    for (int i = 0; i < 500; i++) d((double) (rnd.nextLong() >> rnd.nextInt(64)));
    float[] ffixed = {1.1f, 3.4028235e38f, 0.5f, 12.34f, 1.7E12f, 1e-44f, 1.4e-45f, 1e7f, 1e-3f, 1e-4f, 16777217f, 0.1f, 1e10f, Float.MIN_NORMAL, -0.0f, 0.0f, Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY};
    for (float v : ffixed) f(v);
    for (int e = -46; e <= 39; e++) { f((float) Math.pow(10, e)); f((float) Math.pow(2, e)); }
    for (int i = 0; i < 1500; i++) f(Float.intBitsToFloat(rnd.nextInt()));
    for (int i = 0; i < 1000; i++) f((float) (rnd.nextInt() / Math.pow(10, rnd.nextInt(8))));
    for (int i = 0; i < 500; i++) f((float) (rnd.nextLong() >> rnd.nextInt(64)));
    int[] scales = {0, 1, 2, 3, 5, 6, 7, 8, 10, 20, -1, -2, -5, -10};
    for (int i = 0; i < 600; i++) {
      BigInteger u = new BigInteger(rnd.nextInt(100) + 1, rnd);
      if (rnd.nextBoolean()) u = u.negate();
      if (i % 10 == 0) u = BigInteger.valueOf(rnd.nextInt(3) - 1);
      int sc = scales[rnd.nextInt(scales.length)];
      out.append("B ").append(u).append(' ').append(sc).append(' ').append(new BigDecimal(u, sc).toString()).append('\n');
    }
    JsonFactory jf = new JsonFactory();
    List<String> strs = new ArrayList<>();
    StringBuilder all = new StringBuilder();
    for (int c = 0; c < 0x80; c++) all.append((char) c);
    strs.add(all.toString());
    strs.add("plain é/シ \u0085\u00a0\u2028\u2029 \uD83D\uDE00");
    strs.add("a\"b\\c</script>");
    strs.add("");
    for (int i = 0; i < 200; i++) {
      StringBuilder s = new StringBuilder();
      int n = rnd.nextInt(30);
      for (int j = 0; j < n; j++) {
        int k = rnd.nextInt(10);
        s.append(k < 3 ? (char) rnd.nextInt(0x20) : k < 5 ? "\"\\/\u007f".charAt(rnd.nextInt(4)) : k < 8 ? (char) (0x20 + rnd.nextInt(0x5f)) : (char) (0xa0 + rnd.nextInt(0x2000)));
      }
      strs.add(s.toString());
    }
    for (String s : strs) {
      java.io.StringWriter w = new java.io.StringWriter();
      JsonGenerator g = jf.createGenerator(w);
      g.writeString(s);
      g.close();
      out.append("S ").append(hex(s.getBytes(StandardCharsets.UTF_8))).append(' ').append(hex(w.toString().getBytes(StandardCharsets.UTF_8))).append('\n');
    }
    System.out.print(out);
  }
}
