/* Given to cppcheck (make lint, --include) in place of <check.h>, which it is not shown: the test
 * macros as Check defines them, so that the tests' bodies parse as the functions they are and the
 * table rows they read through _i count as used. */
#define START_TEST(name) static void name(int _i)
#define END_TEST
