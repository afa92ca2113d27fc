/*
 * bench/rules_weka.java: Weka's FPGrowth frequent itemsets, without rules.
 *
 * Usage: java -cp weka.jar:DIR RulesWeka FILE.arff MIN_COUNT MAX_ITEMS
 *
 * Runs what weka.associations.FPGrowth.buildAssociations runs in its "-S"
 * mode (all itemsets at the lower support bound) up to the itemsets, with
 * the same calls: getSingletons, buildFPTree and mineTree at MIN_COUNT
 * transactions (as -M MIN_COUNT with MIN_COUNT > 1 does), itemsets of at
 * most MAX_ITEMS items (-I).  It stops there: buildAssociations then
 * generates every rule of every itemset by brute force, which the stock
 * command line run (timed apart by bench/rules.sh) includes.  Prints one
 * line:
 *
 *   itemsets max_size sum_of_counts transactions load_ms mine_ms
 *
 * load_ms reads the ARFF file (DataSource); mine_ms counts the singletons,
 * builds the FP-tree and mines it.  Written for Weka 3.6 (Debian's weka).
 */

import java.util.ArrayList;
import java.util.Iterator;

import weka.associations.FPGrowth;
import weka.core.Instances;
import weka.core.converters.ConverterUtils.DataSource;

class RulesWeka extends FPGrowth
{
	public static void main(String[] args)
	{
		try
		{
			run(args);
		}
		catch (Exception e)
		{
			e.printStackTrace();
			System.exit(1);
		}
	}

	static void run(String[] args) throws Exception
	{
		if (args.length != 3)
			throw new IllegalArgumentException("usage: RulesWeka FILE.arff MIN_COUNT MAX_ITEMS");
		int minCount = Integer.parseInt(args[1]);
		int maxItems = Integer.parseInt(args[2]);

		long t0 = System.nanoTime();
		Instances data = DataSource.read(args[0]);
		long t1 = System.nanoTime();

		RulesWeka fpg = new RulesWeka();
		fpg.setMaxNumberOfItems(maxItems);
		fpg.setFindAllRulesForSupportLevel(true);
		ArrayList<BinaryItem> singletons = fpg.getSingletons(data);
		/* FPTreeRoot is package-private: its type is only inferred */
		var tree = fpg.buildFPTree(singletons, data, minCount);
		FrequentItemSets sets = new FrequentItemSets(data.numInstances());
		fpg.mineTree(tree, sets, 0,
					 new FrequentBinaryItemSet(new ArrayList<BinaryItem>(), 0),
					 minCount);
		long t2 = System.nanoTime();

		int maxSize = 0;
		long sumCounts = 0;
		for (Iterator<FrequentBinaryItemSet> i = sets.iterator(); i.hasNext();)
		{
			FrequentBinaryItemSet s = i.next();
			maxSize = Math.max(maxSize, s.numberOfItems());
			sumCounts += s.getSupport();
		}
		System.out.printf("%d %d %d %d %.3f %.3f%n", sets.size(), maxSize, sumCounts,
						  data.numInstances(), (t1 - t0) / 1e6, (t2 - t1) / 1e6);
	}
}
